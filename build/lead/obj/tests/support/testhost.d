build/lead/obj/tests/support/testhost.o: tests/support/testhost.c \
 tests/support/testhost.h host-api/include/onecount/connector.h \
 plugin/buf.h plugin/json.h
tests/support/testhost.h:
host-api/include/onecount/connector.h:
plugin/buf.h:
plugin/json.h:
