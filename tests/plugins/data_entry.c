/* data_entry.c - test plugin whose oc_connector_entry is a data symbol (a
 * static table, as plugin systems without version negotiation do). The
 * loader must refuse it rather than call into data. */
__attribute__((visibility("default"))) const unsigned char oc_connector_entry[16] = {0xc3};
