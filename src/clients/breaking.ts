import {
  findBreakingChanges,
  findDangerousChanges,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLSchema,
  type GraphQLType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNamedType,
  isNonNullType,
  isObjectType,
} from 'graphql';

/** What changed between a snapshot and the schema now, in graphql-js's words ("User.name was removed."). */
export interface SchemaChanges {
  /** Fail the check: a client's operation, or what the gateway promised it, no longer holds. */
  breaking: string[];
  /** Worth a warning: e.g. a value added to an enum a client may switch over exhaustively. */
  dangerous: string[];
}

/**
 * graphql-js's breaking and dangerous changes from `before` to `after`, plus the nullability
 * changes it counts as safe that this gateway does not: an output field made non-null and an
 * argument or input field made nullable.
 */
export function compareSchemas(before: GraphQLSchema, after: GraphQLSchema): SchemaChanges {
  return {
    breaking: [...findBreakingChanges(before, after), ...nullabilityChanges(before, after)].map(
      (change) => change.description,
    ),
    dangerous: findDangerousChanges(before, after).map((change) => change.description),
  };
}

/** How a type reference's nullability moved, when nothing else about it changed. */
type NullabilityShift = 'stricter' | 'looser' | 'mixed';

/**
 * graphql-js lets an output field become non-null (a client always gets a value) and an input
 * become nullable (every old operation still validates). Here both break something:
 * - output made non-null: when such a field fails, graphql-js nulls its nearest nullable parent
 *   instead of the field, so one upstream's outage wipes out data a client used to get;
 * - input made nullable: resolvers and `@rest` paths that relied on a value now get null (a
 *   `@rest` path with a missing value answers null without a call).
 * Shifts in the other direction, and any other change of type, graphql-js already reports.
 */
function nullabilityChanges(before: GraphQLSchema, after: GraphQLSchema): { description: string }[] {
  const changes: { description: string }[] = [];
  const add = (where: string, from: GraphQLType, to: GraphQLType, why: string) =>
    changes.push({ description: `${where} changed type from ${String(from)} to ${String(to)} (${why}).` });
  for (const [name, old] of Object.entries(before.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const now = after.getType(name);
    if ((isObjectType(old) && isObjectType(now)) || (isInterfaceType(old) && isInterfaceType(now))) {
      const fields = now.getFields();
      for (const oldField of Object.values(old.getFields())) {
        const field = fields[oldField.name];
        if (!field) continue;
        const where = `${name}.${field.name}`;
        if (nullabilityShift(oldField.type, field.type) === 'stricter') {
          add(where, oldField.type, field.type, 'made non-null: when it fails, its parent is nulled instead');
        }
        for (const [from, to] of sameArgs(oldField, field)) {
          if (nullabilityShift(from.type, to.type) === 'looser') {
            add(`${where} arg ${to.name}`, from.type, to.type, 'made nullable: resolvers may now get null');
          }
        }
      }
    } else if (isInputObjectType(old) && isInputObjectType(now)) {
      const fields = now.getFields();
      for (const oldField of Object.values(old.getFields())) {
        const field: GraphQLInputField | undefined = fields[oldField.name];
        if (field && nullabilityShift(oldField.type, field.type) === 'looser') {
          add(
            `${name}.${field.name}`,
            oldField.type,
            field.type,
            'made nullable: resolvers may now get null',
          );
        }
      }
    }
  }
  return changes;
}

/** Pairs of an argument before and after, for the arguments both sides have. */
function sameArgs(
  before: GraphQLField<unknown, unknown>,
  after: GraphQLField<unknown, unknown>,
): [GraphQLArgument, GraphQLArgument][] {
  return before.args.flatMap((arg) => {
    const now = after.args.find((candidate) => candidate.name === arg.name);
    return now ? [[arg, now]] : [];
  });
}

/** Walks both references level by level (`[String!]!` has three); undefined when more than `!` differs. */
function nullabilityShift(before: GraphQLType, after: GraphQLType): NullabilityShift | undefined {
  let stricter = false;
  let looser = false;
  let old = before;
  let now = after;
  for (;;) {
    if (isNonNullType(old) && !isNonNullType(now)) looser = true;
    if (!isNonNullType(old) && isNonNullType(now)) stricter = true;
    if (isNonNullType(old)) old = old.ofType;
    if (isNonNullType(now)) now = now.ofType;
    if (isListType(old) && isListType(now)) {
      old = old.ofType;
      now = now.ofType;
      continue;
    }
    if (!isNamedType(old) || !isNamedType(now) || old.name !== now.name) return undefined;
    if (stricter && looser) return 'mixed';
    return stricter ? 'stricter' : looser ? 'looser' : undefined;
  }
}
