/*
 * curl_floor.c - the memory floor under every ochost run: a process that
 * only loads the system's libcurl (with the libraries it links: TLS,
 * Kerberos, LDAP, SSH, IDN, ...) and runs curl_global_init, as the
 * plugin's HTTP client does before its first call. `make bench` runs it
 * (bench_pull) and prints its peak RSS beside ochost's: what ochost adds
 * is measured above this line, which no code of ours can lower. It runs
 * with GNUTLS_NO_IMPLICIT_INIT=1, the environment ochost gives the
 * plugin's libraries.
 */
#include <curl/curl.h>

int main(void)
{
    if(curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    curl_global_cleanup();
    return 0;
}
