/*
 * identity.h - what the plugin calls itself: the name, version and
 * capabilities its vtable and manifest declare, the scopes it needs, and
 * the user agent its requests carry. A leaf header, so that the transport
 * can name the plugin without including the instance that calls it.
 */
#ifndef HS_IDENTITY_H
#define HS_IDENTITY_H

#define HS_PLUGIN_NAME "hubspot"
#define HS_PLUGIN_VERSION "0.1.0"
#define HS_CAPABILITIES "authorize,pull,push,lookup"
/* The scopes the plugin needs; kept equal to plugin.manifest's scopes. */
#define HS_SCOPES "crm.objects.contacts.read,crm.objects.contacts.write,crm.lists.read,crm.lists.write,content"

#endif
