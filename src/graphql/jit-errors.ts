import { GraphQLError, locatedError } from 'graphql';

// graphql-jit names a response key that merges several field nodes "Type.(a,a)"; graphql-js
// names the field once. Merged nodes share their field name (validation), so the first is it.
const mergedNonNull = /^(Cannot return null for non-nullable field [^.]+\.)\(([^,)]+)[^)]*\)\.$/;

/**
 * Turns an error graphql-jit reported into the one graphql-js reports for the same failure.
 * graphql-jit's own error class has no `extensions` when the thrown value had none, and Apollo's
 * formatting then fails on it and answers a bare INTERNAL_SERVER_ERROR without path or locations.
 * Errors that carry extensions (ours: UPSTREAM_*, UNAUTHENTICATED, RATE_LIMITED...) are already
 * what graphql-js reports and pass through unchanged.
 */
export function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const { originalError, path, locations } = error;
  // A resolver's throw: graphql-js's locatedError, with the jit's locations for the field nodes
  // it does not have (an error that names its own nodes or is already located keeps its own).
  if (originalError !== undefined) {
    const located = locatedError(originalError, undefined, path);
    if (located !== originalError && located.locations === undefined) setLocations(located, locations);
    return located;
  }
  // graphql-jit's own: null for a non-null field, a value its type cannot serialize.
  const remapped = new GraphQLError(error.message.replace(mergedNonNull, '$1$2.'), { path });
  setLocations(remapped, locations);
  return remapped;
}

function setLocations(error: GraphQLError, locations: GraphQLError['locations']): void {
  (error as { locations: GraphQLError['locations'] }).locations = locations;
}
