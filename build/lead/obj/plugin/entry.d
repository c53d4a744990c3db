build/lead/obj/plugin/entry.o: plugin/entry.c hubspot/instance.h \
 host-api/include/onecount/connector.h plugin/http.h plugin/buf.h \
 plugin/json.h plugin/error.h
hubspot/instance.h:
host-api/include/onecount/connector.h:
plugin/http.h:
plugin/buf.h:
plugin/json.h:
plugin/error.h:
