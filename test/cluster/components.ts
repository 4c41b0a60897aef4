// The command lines of the cluster's processes: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and the process node. Pure: ports and paths in, argv out.
import { join } from "node:path";
import type { ClusterLayout } from "./layout.ts";
import { NODE_NAME, SERVICE_CLUSTER_IP_RANGE } from "./pki.ts";

export const COMPONENT_NAMES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "node",
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface ClusterPorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kubelet: number;
}

export interface ComponentSpec {
  name: ComponentName;
  command: string;
  args: string[];
  /** An HTTPS (or HTTP for etcd) URL answering 200 once the component is up. */
  healthUrl: string;
}

/** Controllers the job/cronjob flow, the garbage collector and a Helm-installed operator need. */
export const CONTROLLERS = [
  "job-controller",
  "cronjob-controller",
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "ttl-after-finished-controller",
  "node-lifecycle-controller",
  "taint-eviction-controller",
  "pod-garbage-collector-controller",
  "root-ca-certificate-publisher-controller",
  "clusterrole-aggregation-controller",
  "resourcequota-controller",
  "deployment-controller",
  "replicaset-controller",
  "statefulset-controller",
  "disruption-controller",
  "endpoints-controller",
  "endpointslice-controller",
];

/** Added to the apiserver's default-on plugins (which already hold most of these). */
const ADMISSION_PLUGINS = [
  "NamespaceLifecycle",
  "LimitRanger",
  "ServiceAccount",
  "NodeRestriction",
  "TaintNodesByCondition",
  "Priority",
  "DefaultTolerationSeconds",
  "PodSecurity",
  "MutatingAdmissionWebhook",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionWebhook",
  "ResourceQuota",
];

export interface ComponentInput {
  layout: ClusterLayout;
  binDir: string;
  ports: ClusterPorts;
  /** Absolute path of the Node 24 binary that runs the process node. */
  nodeBinary: string;
  nodeScript: string;
  /** Overrides of the node's declared capacity, e.g. "cpu=16,pods=250" (empty: host defaults). */
  nodeCapacity?: string;
}

export function componentSpecs({
  layout,
  binDir,
  ports,
  nodeBinary,
  nodeScript,
  nodeCapacity,
}: ComponentInput): ComponentSpec[] {
  const pki = (file: string) => join(layout.pki, file);
  const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const clientQps = ["--kube-api-qps=100", "--kube-api-burst=200"];
  const delegated = (kubeconfig: string) => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    "--leader-elect=false",
  ];
  return [
    {
      name: "etcd",
      command: join(binDir, "etcd"),
      args: [
        "--name=local",
        `--data-dir=${layout.etcdData}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=local=${peerUrl}`,
        "--initial-cluster-state=new",
        // A throw-away test cluster: durability is not worth the fsync latency.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      healthUrl: `${etcdUrl}/health`,
    },
    {
      name: "kube-apiserver",
      command: join(binDir, "kube-apiserver"),
      args: [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${ports.apiserver}`,
        `--tls-cert-file=${pki("apiserver.crt")}`,
        `--tls-private-key-file=${pki("apiserver.key")}`,
        `--client-ca-file=${pki("ca.crt")}`,
        "--authorization-mode=Node,RBAC",
        `--enable-admission-plugins=${ADMISSION_PLUGINS.join(",")}`,
        "--allow-privileged=true",
        `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki("sa.pub")}`,
        `--service-account-signing-key-file=${pki("sa.key")}`,
        `--kubelet-client-certificate=${pki("apiserver-kubelet-client.crt")}`,
        `--kubelet-client-key=${pki("apiserver-kubelet-client.key")}`,
        `--kubelet-certificate-authority=${pki("ca.crt")}`,
        "--kubelet-preferred-address-types=InternalIP,Hostname",
        `--requestheader-client-ca-file=${pki("front-proxy-ca.crt")}`,
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        `--proxy-client-cert-file=${pki("front-proxy-client.crt")}`,
        `--proxy-client-key-file=${pki("front-proxy-client.key")}`,
        // The advertise address is loopback, which Endpoints refuse: nothing in-cluster needs them.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
      ],
      healthUrl: `https://127.0.0.1:${ports.apiserver}/readyz`,
    },
    {
      name: "kube-controller-manager",
      command: join(binDir, "kube-controller-manager"),
      args: [
        ...delegated(layout.componentKubeconfig("controller-manager")),
        `--secure-port=${ports.controllerManager}`,
        `--controllers=${CONTROLLERS.join(",")}`,
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki("sa.key")}`,
        `--root-ca-file=${pki("ca.crt")}`,
        `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
        "--concurrent-job-syncs=10",
        "--concurrent-cron-job-syncs=10",
        ...clientQps,
      ],
      healthUrl: `https://127.0.0.1:${ports.controllerManager}/healthz`,
    },
    {
      name: "kube-scheduler",
      command: join(binDir, "kube-scheduler"),
      args: [
        ...delegated(layout.componentKubeconfig("scheduler")),
        `--secure-port=${ports.scheduler}`,
        ...clientQps,
      ],
      healthUrl: `https://127.0.0.1:${ports.scheduler}/healthz`,
    },
    {
      name: "node",
      command: nodeBinary,
      args: [
        nodeScript,
        `--node-name=${NODE_NAME}`,
        `--kubeconfig=${layout.componentKubeconfig("node")}`,
        `--apiserver-port=${ports.apiserver}`,
        `--kubelet-port=${ports.kubelet}`,
        `--tls-cert-file=${pki("node-serving.crt")}`,
        `--tls-private-key-file=${pki("node-serving.key")}`,
        `--client-ca-file=${pki("ca.crt")}`,
        `--pods-dir=${layout.pods}`,
        ...(nodeCapacity ? [`--capacity=${nodeCapacity}`] : []),
      ],
      healthUrl: `https://127.0.0.1:${ports.kubelet}/healthz`,
    },
  ];
}
