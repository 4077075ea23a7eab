-- Field selectors beyond metadata.name/metadata.namespace (kube-apiserver's per-kind selectable fields,
-- src/registry/field-selectors.ts). The write batcher stores each object's selectable fields, rendered
-- as upstream renders them, so lists filter in SQL: `field=value` is a containment test the GIN index
-- answers (every kubelet lists and watches pods by spec.nodeName; describe lists events by
-- involvedObject). history.prev_fields holds the fields of prev_value, for lists at older revisions.
ALTER TABLE objects ADD COLUMN fields jsonb NOT NULL DEFAULT '{}';
ALTER TABLE history ADD COLUMN prev_fields jsonb;
CREATE INDEX objects_fields ON objects USING gin (fields jsonb_path_ops);

-- Objects written before this migration: the same values, computed here once.
UPDATE objects o SET fields = f.fields
FROM (
  SELECT resource, namespace, name, CASE resource
    WHEN 'pods' THEN jsonb_build_object(
      'spec.nodeName', coalesce(v #>> '{spec,nodeName}', ''),
      'spec.restartPolicy', coalesce(v #>> '{spec,restartPolicy}', ''),
      'spec.schedulerName', coalesce(v #>> '{spec,schedulerName}', ''),
      'spec.serviceAccountName', coalesce(v #>> '{spec,serviceAccountName}', ''),
      'spec.hostNetwork', CASE WHEN v #> '{spec,hostNetwork}' = 'true'::jsonb THEN 'true' ELSE 'false' END,
      'status.phase', coalesce(v #>> '{status,phase}', ''),
      'status.podIP', coalesce(v #>> '{status,podIPs,0,ip}', v #>> '{status,podIP}', ''),
      'status.nominatedNodeName', coalesce(v #>> '{status,nominatedNodeName}', ''))
    WHEN 'nodes' THEN jsonb_build_object(
      'spec.unschedulable', CASE WHEN v #> '{spec,unschedulable}' = 'true'::jsonb THEN 'true' ELSE 'false' END)
    WHEN 'replicationcontrollers' THEN jsonb_build_object('status.replicas', coalesce(v #>> '{status,replicas}', '0'))
    WHEN 'jobs.batch' THEN jsonb_build_object('status.successful', coalesce(v #>> '{status,succeeded}', '0'))
    WHEN 'namespaces' THEN jsonb_build_object('status.phase', coalesce(v #>> '{status,phase}', ''))
    WHEN 'secrets' THEN jsonb_build_object('type', coalesce(v ->> 'type', ''))
    WHEN 'services' THEN jsonb_build_object(
      'spec.clusterIP', coalesce(v #>> '{spec,clusterIP}', ''),
      'spec.type', coalesce(v #>> '{spec,type}', ''))
    WHEN 'certificatesigningrequests.certificates.k8s.io' THEN jsonb_build_object('spec.signerName', coalesce(v #>> '{spec,signerName}', ''))
    WHEN 'events' THEN jsonb_build_object(
      'involvedObject.kind', coalesce(v #>> '{involvedObject,kind}', ''),
      'involvedObject.namespace', coalesce(v #>> '{involvedObject,namespace}', ''),
      'involvedObject.name', coalesce(v #>> '{involvedObject,name}', ''),
      'involvedObject.uid', coalesce(v #>> '{involvedObject,uid}', ''),
      'involvedObject.apiVersion', coalesce(v #>> '{involvedObject,apiVersion}', ''),
      'involvedObject.resourceVersion', coalesce(v #>> '{involvedObject,resourceVersion}', ''),
      'involvedObject.fieldPath', coalesce(v #>> '{involvedObject,fieldPath}', ''),
      'reason', coalesce(v ->> 'reason', ''),
      'reportingComponent', coalesce(v ->> 'reportingComponent', ''),
      'source', coalesce(nullif(v #>> '{source,component}', ''), v ->> 'reportingComponent', ''),
      'type', coalesce(v ->> 'type', ''))
    WHEN 'events.events.k8s.io' THEN jsonb_build_object(
      'involvedObject.kind', coalesce(v #>> '{regarding,kind}', ''),
      'involvedObject.namespace', coalesce(v #>> '{regarding,namespace}', ''),
      'involvedObject.name', coalesce(v #>> '{regarding,name}', ''),
      'involvedObject.uid', coalesce(v #>> '{regarding,uid}', ''),
      'involvedObject.apiVersion', coalesce(v #>> '{regarding,apiVersion}', ''),
      'involvedObject.resourceVersion', coalesce(v #>> '{regarding,resourceVersion}', ''),
      'involvedObject.fieldPath', coalesce(v #>> '{regarding,fieldPath}', ''),
      'reason', coalesce(v ->> 'reason', ''),
      'reportingComponent', coalesce(v ->> 'reportingController', ''),
      'source', coalesce(nullif(v #>> '{deprecatedSource,component}', ''), v ->> 'reportingController', ''),
      'type', coalesce(v ->> 'type', ''))
  END AS fields
  -- jsonb refuses the \u0000 escape that JSON strings may hold: such objects are skipped here and get
  -- their fields at their next write.
  FROM (SELECT resource, namespace, name, value::jsonb AS v FROM objects
        WHERE strpos(value, E'\\u0000') = 0 AND resource IN ('pods', 'nodes', 'replicationcontrollers', 'jobs.batch', 'namespaces', 'secrets', 'services',
                           'certificatesigningrequests.certificates.k8s.io', 'events', 'events.events.k8s.io')) s
) f
WHERE o.resource = f.resource AND o.namespace = f.namespace AND o.name = f.name;
