-- pgkube schema, version 1.
--
-- Every write transaction locks the single `revision` row, bumps it by the number of changes it makes,
-- writes one `history` row per change (rv = revision numbers it took) and the new current state into
-- `objects`, then commits. The row lock is held until commit, so revision order is commit order and the
-- history has no gaps: a reader that sees revision R committed has also seen everything below R.

CREATE TABLE revision (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  rv bigint NOT NULL
) WITH (fillfactor = 10); -- one hot row: leave room for HOT updates
INSERT INTO revision (rv) VALUES (1);

-- Everything below compacted_rv has been removed from history; watches and lists at older revisions get 410.
CREATE TABLE compaction (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  compacted_rv bigint NOT NULL
);
INSERT INTO compaction (compacted_rv) VALUES (0);

-- Current state. `resource` is the group-resource ("configmaps", "deployments.apps"); cluster-scoped
-- objects have namespace ''. `value` is the object's JSON exactly as served, so lists stream it as is.
CREATE TABLE objects (
  resource  text COLLATE "C" NOT NULL,
  namespace text COLLATE "C" NOT NULL,
  name      text COLLATE "C" NOT NULL,
  rv        bigint NOT NULL,
  labels    jsonb NOT NULL DEFAULT '{}',
  value     text NOT NULL,
  PRIMARY KEY (resource, namespace, name)
);
CREATE INDEX objects_labels ON objects USING gin (labels);

-- One row per change. value: the object after the change (for DELETED, the last state carrying the
-- deletion's revision); prev_value: the object before it (null for ADDED). prev_value lets a list at an
-- older revision recover the state of objects changed since, and lets a watch tell that an object left
-- its selector.
CREATE TABLE history (
  rv         bigint PRIMARY KEY,
  resource   text COLLATE "C" NOT NULL,
  namespace  text COLLATE "C" NOT NULL,
  name       text COLLATE "C" NOT NULL,
  type       text NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
  value      text NOT NULL,
  prev_value text,
  prev_labels jsonb, -- labels of prev_value, for label selectors on lists at this older state
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_key ON history (resource, namespace, name, rv);
CREATE INDEX history_resource_rv ON history (resource, rv);

-- Takes the revision lock, then reads the current rows of the keys a write batch touches. Both in one
-- round trip; the read is a separate statement inside a VOLATILE function, so under READ COMMITTED it
-- takes a fresh snapshot after the lock is granted and sees every batch committed before ours.
CREATE FUNCTION pgkube_lock_and_read(resources text[], namespaces text[], names text[])
RETURNS TABLE (current_rv bigint, resource text, namespace text, name text, rv bigint, value text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  locked_rv bigint;
BEGIN
  SELECT r.rv INTO locked_rv FROM revision r WHERE r.singleton FOR UPDATE;
  RETURN QUERY
    SELECT locked_rv, o.resource::text, o.namespace::text, o.name::text, o.rv, o.value
    FROM objects o
    JOIN unnest(resources, namespaces, names) AS k(resource, namespace, name)
      ON o.resource = k.resource AND o.namespace = k.namespace AND o.name = k.name;
  IF NOT FOUND THEN
    RETURN QUERY SELECT locked_rv, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text;
  END IF;
END $$;
