// The Kubernetes manifests (k8s/, docs/deploy.md): each overlay rendered with `kubectl kustomize`,
// every object validated against the Kubernetes schemas (the kubernetes-models package), and the
// rules of docs/deploy.md checked on what would be applied: the Pod Security "restricted" profile
// and a read-only root for every container, requests and limits, no subPath; the servers' ports,
// probes and environment consistent with config/infrashare.yaml; the drain fitting the grace
// period; headless Services; in prod every service in its own Deployment with an autoscaler of at
// least two pods and a disruption budget; and network policies that let only the servers reach
// Redis. kubernetes-models checks types, enums and required fields; it does not refuse unknown
// fields, so each rule below looks for the field it needs by name and fails when it is absent.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const kubectl = process.env.KUBECTL || "kubectl";

// ---- what the manifests must agree with -------------------------------------------------------

const configText = readFileSync(path.join(root, "config/infrashare.yaml"), "utf8");

// Every key of config/infrashare.yaml by its environment variable (INFRASHARE_ + the path in upper
// case, dots as underscores), with its value in the file.
function configKeys() {
  const keys = new Map();
  const walk = (node, prefix) => {
    for (const [name, value] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) walk(value, key);
      else
        keys.set(`INFRASHARE_${key.toUpperCase().replaceAll(".", "_")}`, {
          key,
          value: String(value),
        });
    }
  };
  walk(parse(configText), "");
  return keys;
}
const kConfigKeys = configKeys();

// The names --services accepts, from the server's own table (services/server/server.cc).
function knownServices() {
  const source = readFileSync(path.join(root, "services/server/server.cc"), "utf8");
  const table = source.match(/kServices\s*=\s*\{([^}]*)\}/);
  assert.ok(table, "services/server/server.cc: the kServices table of KnownServices() moved");
  return [...table[1].matchAll(/"([a-z]+)"/g)].map((m) => m[1]);
}
const kServices = knownServices();

// The numeric user and group the image runs as (the Containerfile's last USER).
function imageUser() {
  const users = [
    ...readFileSync(path.join(root, "Containerfile"), "utf8").matchAll(/^USER\s+(\S+)/gm),
  ];
  assert.ok(users.length > 0, "Containerfile: no USER");
  const [uid, gid] = users.at(-1)[1].split(":").map(Number);
  return { uid, gid };
}

// ---- rendering and schemas ------------------------------------------------------------------

function render(overlay) {
  const result = spawnSync(kubectl, ["kustomize", path.join(root, "k8s/overlays", overlay)], {
    encoding: "utf8",
  });
  if (result.error?.code === "ENOENT")
    assert.fail(
      `${kubectl} not found: the manifest test renders k8s/ with \`kubectl kustomize\`; ` +
        "scripts/bootstrap installs kubectl (or Debian's kubernetes-client)",
    );
  assert.equal(result.status, 0, `kubectl kustomize k8s/overlays/${overlay}:\n${result.stderr}`);
  const objects = parseAllDocuments(result.stdout).map((document) => {
    assert.deepEqual(document.errors, [], `k8s/overlays/${overlay}: unreadable YAML`);
    return document.toJS();
  });
  return objects.filter((object) => object !== null);
}

// kubernetes-models' module for an apiVersion: "apps/v1" -> kubernetes-models/apps/v1, "v1" ->
// kubernetes-models/v1.
async function validateAgainstSchema(object) {
  const name = `${object.kind}/${object.metadata?.name}`;
  let models;
  try {
    models = await import(`kubernetes-models/${object.apiVersion}`);
  } catch {
    assert.fail(`${name}: kubernetes-models knows no apiVersion ${object.apiVersion}`);
  }
  const Model = models[object.kind];
  assert.ok(
    Model,
    `${name}: kubernetes-models knows no kind ${object.kind} in ${object.apiVersion}`,
  );
  try {
    new Model(object).validate();
  } catch (error) {
    assert.fail(`${name} does not match the Kubernetes schema: ${error.message}`);
  }
}

// ---- small helpers ----------------------------------------------------------------------------

const named = (objects, kind) => objects.filter((o) => o.kind === kind);
const id = (object) => `${object.kind}/${object.metadata.name}`;
const selects = (selector, labels) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
const portOf = (listen) => Number(listen.slice(listen.lastIndexOf(":") + 1));
const hostOf = (listen) => listen.slice(0, listen.lastIndexOf(":"));
const podLabels = (workload) => workload.spec.template.metadata.labels;
const isServer = (workload) => podLabels(workload)["app.kubernetes.io/name"] === "infrashare";
const containersOf = (workload) => [
  ...(workload.spec.template.spec.initContainers ?? []),
  ...workload.spec.template.spec.containers,
];

// The server's configuration in a container: the file's values with the container's INFRASHARE_*
// environment on top. Every variable must name a key of the file. Values from Secrets are unknown
// here (null); Secrets given whole (envFrom) are listed in `fromSecrets`.
function effectiveConfig(container, where) {
  const config = new Map([...kConfigKeys.values()].map(({ key, value }) => [key, value]));
  for (const variable of container.env ?? []) {
    if (!variable.name.startsWith("INFRASHARE_")) continue;
    const key = kConfigKeys.get(variable.name);
    assert.ok(key, `${where}: ${variable.name} names no key of config/infrashare.yaml`);
    config.set(key.key, variable.valueFrom ? null : variable.value);
  }
  config.fromSecrets = (container.envFrom ?? []).map((source) => {
    assert.ok(source.secretRef, `${where}: envFrom other than a Secret`);
    return source.secretRef.name;
  });
  return config;
}

// The volume (and its mount) a file of a container lies in.
function volumeHolding(workload, container, file) {
  const mount = (container.volumeMounts ?? []).find((m) => file.startsWith(`${m.mountPath}/`));
  if (!mount) return null;
  return { mount, volume: workload.spec.template.spec.volumes.find((v) => v.name === mount.name) };
}

// ---- the rules --------------------------------------------------------------------------------

// Pod Security Standards, "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards)
// plus a read-only root filesystem, requests and limits, and no subPath mounts.
function checkPodSecurity(workload) {
  const where = id(workload);
  const pod = workload.spec.template.spec;
  for (const field of ["hostNetwork", "hostPID", "hostIPC"])
    assert.notEqual(pod[field], true, `${where}: ${field}`);
  const allowedVolumes = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
  ];
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== "name");
    assert.ok(
      types.every((type) => allowedVolumes.includes(type)),
      `${where}: volume ${volume.name} of type ${types} is not allowed under "restricted"`,
    );
  }
  for (const container of containersOf(workload)) {
    const at = `${where} container ${container.name}`;
    const context = container.securityContext ?? {};
    assert.equal(
      context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot,
      true,
      `${at}: runAsNonRoot`,
    );
    const uid = context.runAsUser ?? pod.securityContext?.runAsUser;
    assert.ok(Number.isInteger(uid) && uid > 0, `${at}: runAsUser must be a non-zero number`);
    const seccomp = context.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    assert.ok(
      ["RuntimeDefault", "Localhost"].includes(seccomp),
      `${at}: seccompProfile ${seccomp}`,
    );
    assert.equal(context.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
    assert.notEqual(context.privileged, true, `${at}: privileged`);
    assert.ok(context.capabilities?.drop?.includes("ALL"), `${at}: capabilities.drop ALL`);
    for (const added of context.capabilities?.add ?? [])
      assert.equal(added, "NET_BIND_SERVICE", `${at}: capability ${added}`);
    assert.equal(context.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
    for (const port of container.ports ?? [])
      assert.equal(port.hostPort, undefined, `${at}: hostPort`);
    for (const resource of ["cpu", "memory"]) {
      assert.ok(container.resources?.requests?.[resource], `${at}: requests.${resource}`);
      assert.ok(container.resources?.limits?.[resource], `${at}: limits.${resource}`);
    }
    // A subPath mount never sees a Secret's or ConfigMap's update (certificate rotation).
    for (const mount of container.volumeMounts ?? []) {
      assert.equal(mount.subPath, undefined, `${at}: ${mount.name} mounted with subPath`);
      assert.equal(mount.subPathExpr, undefined, `${at}: ${mount.name} mounted with subPathExpr`);
    }
  }
}

// An infrashare-server pod: its ports, probes, drain and configuration agree with
// config/infrashare.yaml and the image. Returns the services it runs.
function checkServer(workload, objects) {
  const where = id(workload);
  const pod = workload.spec.template.spec;
  assert.equal(pod.containers.length, 1, `${where}: one container`);
  const [container] = pod.containers;
  const config = effectiveConfig(container, where);

  const image = imageUser();
  assert.equal(pod.securityContext.runAsUser, image.uid, `${where}: runs as the image's user`);
  assert.equal(pod.securityContext.runAsGroup, image.gid, `${where}: runs as the image's group`);
  assert.equal(pod.automountServiceAccountToken, false, `${where}: mounts an API token`);

  // The config file is the ConfigMap made from config/infrashare.yaml, mounted as a directory.
  const configArg = container.args.find((arg) => arg.startsWith("--config="));
  assert.ok(configArg, `${where}: no --config=`);
  const configFile = configArg.slice("--config=".length);
  const holding = volumeHolding(workload, container, configFile);
  assert.ok(holding?.volume?.configMap, `${where}: ${configFile} is not in a mounted ConfigMap`);
  const configMap = named(objects, "ConfigMap").find(
    (c) => c.metadata.name === holding.volume.configMap.name,
  );
  assert.ok(
    configMap,
    `${where}: ConfigMap ${holding.volume.configMap.name} is not in the overlay`,
  );
  assert.equal(
    configMap.data[path.basename(configFile)],
    configText,
    `${where}: the ConfigMap is not config/infrashare.yaml`,
  );

  // --services: names the server knows.
  const servicesArg = container.args.find((arg) => arg.startsWith("--services="));
  assert.ok(servicesArg, `${where}: no --services=`);
  const services = servicesArg.slice("--services=".length).split(",");
  for (const service of services)
    assert.ok(
      service === "all" || kServices.includes(service),
      `${where}: unknown service ${service}`,
    );

  // Listeners on every address of the pod, on the ports its containerPorts and probes name.
  const expectPort = (key, portName) => {
    const listen = config.get(key);
    assert.ok(listen, `${where}: ${key} is empty`);
    assert.equal(
      hostOf(listen),
      "0.0.0.0",
      `${where}: ${key} ${listen} is not reachable from outside the pod`,
    );
    const port = (container.ports ?? []).find((p) => p.name === portName);
    assert.ok(port, `${where}: no containerPort named ${portName}`);
    assert.equal(port.containerPort, portOf(listen), `${where}: port ${portName} is not ${key}`);
    return portOf(listen);
  };
  const grpcPort = expectPort("listen", "grpc");
  const healthPort = expectPort("health.listen", "health");
  expectPort("metrics.listen", "metrics");
  if (config.get("http.listen")) expectPort("http.listen", "http");
  assert.equal(
    portOf(kConfigKeys.get("INFRASHARE_LISTEN").value),
    grpcPort,
    `${where}: the gRPC port differs from config/infrashare.yaml's`,
  );
  assert.equal(
    portOf(kConfigKeys.get("INFRASHARE_HEALTH_LISTEN").value),
    healthPort,
    `${where}: the health port differs from config/infrashare.yaml's`,
  );

  // Native gRPC probes on the plaintext health port: ready = every module serving with Redis
  // reachable (the overall status); alive = "liveness", which stays SERVING while Redis is away.
  const readiness = container.readinessProbe?.grpc;
  assert.ok(readiness, `${where}: no gRPC readiness probe`);
  assert.equal(readiness.port, healthPort, `${where}: readiness probe not on the health port`);
  assert.ok(!readiness.service, `${where}: readiness must ask the overall status`);
  const liveness = container.livenessProbe?.grpc;
  assert.ok(liveness, `${where}: no gRPC liveness probe`);
  assert.equal(liveness.port, healthPort, `${where}: liveness probe not on the health port`);
  assert.equal(liveness.service, "liveness", `${where}: liveness must not follow Redis`);

  // TLS on the gRPC port, or plaintext said out loud; certificate files from a Secret directory.
  if (config.get("tls.plaintext") !== "true") {
    for (const key of ["tls.cert_file", "tls.key_file"]) {
      const file = config.get(key);
      assert.ok(file, `${where}: neither ${key} nor tls.plaintext`);
      assert.ok(
        volumeHolding(workload, container, file)?.volume?.secret,
        `${where}: ${key} ${file} is not in a mounted Secret`,
      );
    }
  }

  // Redis: an address, from the file, the environment or a Secret given whole.
  assert.ok(
    config.get("redis.url") !== kConfigKeys.get("INFRASHARE_REDIS_URL").value ||
      config.fromSecrets.length > 0,
    `${where}: Redis is the file's loopback default`,
  );

  // New pods get calls after a scale-up: connections are closed after a while.
  assert.ok(
    Number(config.get("grpc.max_connection_age_ms")) > 0,
    `${where}: grpc.max_connection_age_ms`,
  );

  // preStop sleep, then SIGTERM drains for up to grpc.drain_timeout_ms: all within the grace.
  const sleep = container.lifecycle?.preStop?.sleep?.seconds;
  assert.ok(sleep > 0, `${where}: no preStop sleep`);
  const drainSeconds = Number(config.get("grpc.drain_timeout_ms")) / 1000;
  assert.ok(
    pod.terminationGracePeriodSeconds > sleep + drainSeconds,
    `${where}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= preStop ${sleep} s + drain ${drainSeconds} s`,
  );

  // Replicas spread over nodes.
  assert.ok(
    (pod.topologySpreadConstraints ?? []).some(
      (c) =>
        c.topologyKey === "kubernetes.io/hostname" &&
        selects(c.labelSelector.matchLabels, podLabels(workload)),
    ),
    `${where}: no topology spread over nodes`,
  );
  return services;
}

// Every Service selects pods of exactly one Deployment, and names its ports.
function checkServices(objects, { headless }) {
  const deployments = named(objects, "Deployment");
  for (const service of named(objects, "Service")) {
    const where = id(service);
    const targets = deployments.filter((d) => selects(service.spec.selector, podLabels(d)));
    assert.equal(targets.length, 1, `${where} selects ${targets.length} Deployments`);
    const [target] = targets;
    const ports = containersOf(target).flatMap((c) => c.ports ?? []);
    for (const port of service.spec.ports) {
      const found = ports.find(
        (p) => p.containerPort === port.targetPort || p.name === port.targetPort,
      );
      assert.ok(
        found,
        `${where}: port ${port.name} targets ${port.targetPort}, which ${id(target)} does not open`,
      );
    }
    if (isServer(target) && headless)
      assert.equal(
        service.spec.clusterIP,
        "None",
        `${where}: not headless (gRPC clients balance per call)`,
      );
  }
}

// Nothing comes in unless a policy says so; the servers' gRPC port is open.
function checkIngressPolicies(objects, servers) {
  const policies = named(objects, "NetworkPolicy");
  assert.ok(
    policies.some(
      (p) =>
        Object.keys(p.spec.podSelector).length === 0 &&
        p.spec.policyTypes.includes("Ingress") &&
        !p.spec.ingress,
    ),
    "no default-deny ingress policy",
  );
  for (const server of servers) {
    const grpc = server.spec.template.spec.containers[0].ports.find(
      (p) => p.name === "grpc",
    ).containerPort;
    assert.ok(
      policies.some(
        (p) =>
          selects(p.spec.podSelector.matchLabels, podLabels(server)) &&
          (p.spec.ingress ?? []).some(
            (rule) => !rule.from && rule.ports.some((port) => port.port === grpc),
          ),
      ),
      `${id(server)}: no policy lets gRPC (${grpc}) in`,
    );
  }
}

function checkKustomizationsStayOld() {
  // What Debian's kubectl 1.20 (kustomize 2.0.3) renders as kustomize 5 does (both were tried):
  // no `patches`, `labels`, `replicas`, `components`; `resources` only files (directories are
  // `bases`); no `$patch: delete` (kustomize 2.0.3 writes it into the output).
  const allowed = new Set([
    "bases",
    "resources",
    "patchesStrategicMerge",
    "namespace",
    "nameSuffix",
    "namePrefix",
    "commonLabels",
    "commonAnnotations",
    "images",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
  ]);
  const dirs = [path.join(root, "config")];
  const walk = (dir) => {
    dirs.push(dir);
    for (const entry of readdirSync(dir))
      if (statSync(path.join(dir, entry)).isDirectory()) walk(path.join(dir, entry));
  };
  walk(path.join(root, "k8s"));
  let seen = 0;
  for (const dir of dirs) {
    const file = path.join(dir, "kustomization.yaml");
    if (!existsSync(file)) continue;
    seen++;
    const kustomization = parse(readFileSync(file, "utf8"));
    const where = path.relative(root, file);
    for (const field of Object.keys(kustomization))
      assert.ok(allowed.has(field), `${where}: ${field} is not rendered by Debian's kubectl 1.20`);
    for (const resource of kustomization.resources ?? [])
      assert.ok(
        statSync(path.join(dir, resource)).isFile(),
        `${where}: resource ${resource} is a directory (use bases)`,
      );
    for (const patch of kustomization.patchesStrategicMerge ?? [])
      assert.ok(
        !readFileSync(path.join(dir, patch), "utf8").includes("$patch"),
        `${where}: ${patch} uses $patch`,
      );
  }
  assert.ok(seen >= 4, "kustomizations not found");
}

// ---- the tests --------------------------------------------------------------------------------

async function checkOverlay(overlay) {
  const objects = render(overlay);
  assert.ok(objects.length > 0, `${overlay}: renders nothing`);
  for (const object of objects) await validateAgainstSchema(object);

  const namespace = named(objects, "Namespace");
  assert.equal(namespace.length, 1, `${overlay}: one Namespace`);
  const labels = namespace[0].metadata.labels ?? {};
  assert.equal(
    labels["pod-security.kubernetes.io/enforce"],
    "restricted",
    "Pod Security not enforced",
  );
  for (const object of objects)
    if (object.kind !== "Namespace")
      assert.equal(
        object.metadata.namespace,
        namespace[0].metadata.name,
        `${id(object)}: namespace`,
      );

  const workloads = objects.filter((o) =>
    ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind),
  );
  for (const workload of workloads) checkPodSecurity(workload);
  const servers = workloads.filter(isServer);
  assert.ok(servers.length > 0, `${overlay}: no infrashare-server Deployment`);
  const servicesOf = new Map(servers.map((server) => [server, checkServer(server, objects)]));
  for (const server of servers)
    assert.equal(
      server.spec.strategy?.rollingUpdate?.maxUnavailable,
      0,
      `${id(server)}: maxUnavailable must be 0`,
    );
  checkServices(objects, { headless: true });
  checkIngressPolicies(objects, servers);
  for (const object of named(objects, "PodDisruptionBudget"))
    assert.equal(object.apiVersion, "policy/v1");
  for (const object of named(objects, "HorizontalPodAutoscaler"))
    assert.equal(object.apiVersion, "autoscaling/v2");
  return { objects, workloads, servers, servicesOf };
}

test("k8s/ stays within what kustomize 2.0.3 (Debian's kubectl) renders", () => {
  checkKustomizationsStayOld();
});

test("dev: one pod with every service and one Redis that only the servers reach", async () => {
  const { objects, workloads, servers, servicesOf } = await checkOverlay("dev");
  assert.equal(servers.length, 1, "dev runs one server Deployment");
  assert.deepEqual(servicesOf.get(servers[0]), ["all"]);
  assert.equal(servers[0].spec.replicas, 1);

  const redis = workloads.filter((w) => podLabels(w)["app.kubernetes.io/name"] === "redis");
  assert.equal(redis.length, 1, "dev runs one Redis");
  const [store] = redis;
  assert.equal(store.spec.replicas, 1);
  assert.ok(
    store.spec.template.spec.volumes.some((v) => v.persistentVolumeClaim),
    "Redis keeps its data on a PersistentVolumeClaim",
  );
  const args = store.spec.template.spec.containers[0].args.join(" ");
  assert.match(args, /--appendonly yes/, "Redis runs with AOF");
  const redisPort = store.spec.template.spec.containers[0].ports[0].containerPort;
  const serverConfig = effectiveConfig(servers[0].spec.template.spec.containers[0], "dev server");
  const redisService = named(objects, "Service").find((s) =>
    selects(s.spec.selector, podLabels(store)),
  );
  assert.equal(
    serverConfig.get("redis.url"),
    `redis://${redisService.metadata.name}:${redisService.spec.ports[0].port}`,
  );

  // Every policy that selects the Redis pod admits only server pods, only on Redis's port; and
  // there is one (the default deny alone would shut the servers out too).
  const guarding = named(objects, "NetworkPolicy").filter((p) =>
    selects(p.spec.podSelector.matchLabels, podLabels(store)),
  );
  const admitting = guarding.filter((p) => p.spec.ingress);
  assert.ok(admitting.length > 0, "no NetworkPolicy admits the servers to Redis");
  const pods = workloads.map(podLabels);
  for (const policy of admitting)
    for (const rule of policy.spec.ingress) {
      assert.ok(rule.from?.length > 0, `${id(policy)}: admits everyone to Redis`);
      for (const peer of rule.from) {
        assert.ok(
          peer.podSelector && !peer.namespaceSelector && !peer.ipBlock,
          `${id(policy)}: admits more than pods of this namespace`,
        );
        const matched = pods.filter((labels) => selects(peer.podSelector.matchLabels, labels));
        assert.deepEqual(
          matched,
          servers.map(podLabels),
          `${id(policy)}: admits other pods than the servers`,
        );
      }
      assert.deepEqual(
        rule.ports.map((p) => p.port),
        [redisPort],
        `${id(policy)}: other ports than Redis's`,
      );
    }
});

test("prod: every service in its own Deployment of at least two pods, autoscaled, with a disruption budget", async () => {
  const { objects, servers, servicesOf } = await checkOverlay("prod");
  const hpas = named(objects, "HorizontalPodAutoscaler");
  const pdbs = named(objects, "PodDisruptionBudget");
  for (const server of servers) {
    const where = id(server);
    // No replicas field: `kubectl apply` would undo the autoscaler's decision.
    assert.equal(server.spec.replicas, undefined, `${where}: replicas is the autoscaler's`);
    const hpa = hpas.filter(
      (h) =>
        h.spec.scaleTargetRef.kind === "Deployment" &&
        h.spec.scaleTargetRef.name === server.metadata.name,
    );
    assert.equal(hpa.length, 1, `${where}: ${hpa.length} autoscalers`);
    assert.ok(hpa[0].spec.minReplicas >= 2, `${where}: fewer than 2 replicas`);
    assert.ok(hpa[0].spec.maxReplicas >= hpa[0].spec.minReplicas);
    const pdb = pdbs.filter((p) => selects(p.spec.selector.matchLabels, podLabels(server)));
    assert.equal(pdb.length, 1, `${where}: ${pdb.length} disruption budgets`);
    // A drain must be able to go on, one pod at a time.
    const budget = pdb[0].spec;
    assert.ok(
      budget.maxUnavailable >= 1 ||
        (budget.minAvailable !== undefined && budget.minAvailable < hpa[0].spec.minReplicas),
      `${where}: the disruption budget blocks every drain`,
    );
    // Production serves gRPC over TLS.
    const config = effectiveConfig(server.spec.template.spec.containers[0], where);
    assert.notEqual(config.get("tls.plaintext"), "true", `${where}: plaintext in production`);
    // The public listener hands out calendar feeds, which only a process with the scheduler
    // answers (server.cc registers the route with it).
    if (config.get("http.listen"))
      assert.ok(
        servicesOf.get(server).includes("scheduler"),
        `${where}: serves HTTP without the scheduler (calendar feeds would be 404)`,
      );
  }
  // Each of the server's services runs alone in a Deployment of its own.
  const alone = servers
    .map((s) => servicesOf.get(s))
    .filter((list) => list.length === 1)
    .map((list) => list[0]);
  for (const service of kServices)
    assert.ok(alone.includes(service), `prod: no Deployment runs ${service} alone`);
  for (const server of servers)
    assert.ok(!servicesOf.get(server).includes("all"), `${id(server)}: all services`);

  // Redis is outside: the servers' egress goes only to DNS and Redis (and Sentinel) ports; the
  // webhook Deployment's pods, and only they, also reach receivers over HTTPS, never the cluster's
  // private ranges.
  const egress = named(objects, "NetworkPolicy").filter((p) =>
    p.spec.policyTypes.includes("Egress"),
  );
  for (const server of servers)
    assert.ok(
      egress.some((p) => selects(p.spec.podSelector.matchLabels, podLabels(server))),
      `${id(server)}: no egress policy (only Redis and DNS)`,
    );
  const webhookOnly = (policy) =>
    servers.every(
      (server) =>
        !selects(policy.spec.podSelector.matchLabels, podLabels(server)) ||
        servicesOf.get(server).join(",") === "webhook",
    );
  for (const policy of egress)
    for (const rule of policy.spec.egress)
      for (const port of rule.ports) {
        // Receivers on HTTPS and the SMTP relay (submission, SMTPS), from the webhook pods only.
        if ([443, 587, 465].includes(port.port) && webhookOnly(policy)) {
          for (const to of rule.to)
            for (const range of ["10.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"])
              assert.ok(
                to.ipBlock?.except?.includes(range),
                `${id(policy)}: webhook egress reaches ${range}`,
              );
          continue;
        }
        assert.ok(
          [53, 6379, 26379].includes(port.port),
          `${id(policy)}: egress to port ${port.port}`,
        );
      }
});
