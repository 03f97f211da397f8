/**
 * What a client may be called: in API keys, in `apollographql-client-name`, and as a folder of
 * `clients.dir`. The name lands in metrics labels, logs and the upstream `x-client-name` header.
 */
export const clientNamePattern = /^[A-Za-z0-9._-]{1,64}$/;
