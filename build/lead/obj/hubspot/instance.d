build/lead/obj/hubspot/instance.o: hubspot/instance.c hubspot/instance.h \
 host-api/include/onecount/connector.h plugin/http.h plugin/buf.h \
 plugin/json.h plugin/error.h plugin/redact.h
hubspot/instance.h:
host-api/include/onecount/connector.h:
plugin/http.h:
plugin/buf.h:
plugin/json.h:
plugin/error.h:
plugin/redact.h:
