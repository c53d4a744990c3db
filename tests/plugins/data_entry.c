/* data_entry.c - test plugin whose oc_connector_entry is a data symbol (a
 * static table, as plugin systems without version negotiation do). The
 * loader must refuse it rather than call into data. It does not include
 * onecount/connector.h: that header declares oc_connector_entry as a
 * function, so a plugin built against it cannot make this mistake; the
 * loader still guards against one built without it. */
__attribute__((visibility("default"))) const unsigned char oc_connector_entry[16] = {0xc3};
