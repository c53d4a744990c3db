build/lead/obj/plugin/buf.o: plugin/buf.c plugin/buf.h
plugin/buf.h:
