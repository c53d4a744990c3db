build/lead/obj/plugin/redact.o: plugin/redact.c plugin/redact.h
plugin/redact.h:
