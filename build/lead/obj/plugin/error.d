build/lead/obj/plugin/error.o: plugin/error.c plugin/error.h \
 host-api/include/onecount/connector.h plugin/redact.h
plugin/error.h:
host-api/include/onecount/connector.h:
plugin/redact.h:
