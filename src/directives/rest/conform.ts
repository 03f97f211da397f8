import {
  type GraphQLOutputType,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

// A service's answer nests at most this deep into the field's type before we stop checking:
// self-referencing types would otherwise follow the data as far as it goes.
const maxDepth = 8;

/**
 * Where `value` does not fit the field's output type, as a path (`items.3.available`; '' for
 * the value itself), or undefined when it fits. Mirrors what execution would do with it: scalars and enums are tried
 * with their own `serialize`; object fields that have a resolver (their own `@rest`, base
 * resolvers) are not read from the answer and are skipped.
 */
export function misfit(value: unknown, type: GraphQLOutputType, depth = 0, path = ''): string | undefined {
  if (isNonNullType(type)) {
    if (value === null || value === undefined) return path;
    return misfit(value, type.ofType, depth, path);
  }
  if (value === null || value === undefined || depth > maxDepth) return undefined;
  if (isListType(type)) {
    if (!Array.isArray(value)) return path;
    for (let i = 0; i < value.length; i++) {
      const bad = misfit(value[i], type.ofType, depth + 1, join(path, String(i)));
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (isScalarType(type) || isEnumType(type)) {
    try {
      type.serialize(value);
      return undefined;
    } catch {
      return path;
    }
  }
  if (typeof value !== 'object' || Array.isArray(value)) return path;
  // Interfaces and unions need a type resolver to pick the concrete type: accepted as objects.
  if (isAbstractType(type) || !isObjectType(type)) return undefined;
  for (const [name, field] of Object.entries(type.getFields())) {
    if (field.resolve) continue;
    const bad = misfit((value as Record<string, unknown>)[name], field.type, depth + 1, join(path, name));
    if (bad !== undefined) return bad;
  }
  return undefined;
}

function join(path: string, step: string): string {
  return path ? `${path}.${step}` : step;
}
