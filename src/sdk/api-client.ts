// client-node API clients that send a request again when the API server asks for it (429 or 5xx
// with Retry-After, as API Priority and Fairness answers) or a GET's connection was reset, as
// client-go does: client-node alone throws on the first 429. The rule is kube/retry.ts, the
// operator's REST client's too.
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Configuration,
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  setHeaderMiddleware,
  wrapHttpLibrary,
} from "@kubernetes/client-node";
import { MAX_RETRIES, retryWaitMs, type Sent } from "../operator/kube/retry.ts";

const fetchLibrary = new IsomorphicFetchHttpLibrary();

async function sendWithRetries(request: RequestContext): Promise<ResponseContext> {
  const method = request.getHttpMethod().toString();
  for (let attempt = 1; ; attempt++) {
    const sent: Sent & { response?: ResponseContext } = await fetchLibrary
      .send(request)
      .toPromise()
      .then(
        (response) => ({
          response,
          answer: { status: response.httpStatusCode, retryAfter: response.headers["retry-after"] },
        }),
        // fetch reports a reset connection as "fetch failed" with the socket's error as its cause.
        (error: unknown) => ({ error: (error as { cause?: unknown }).cause ?? error }),
      );
    const wait = retryWaitMs(method, sent);
    if (wait === undefined || attempt > MAX_RETRIES) {
      if ("error" in sent) throw sent.error;
      return sent.response as ResponseContext;
    }
    if (sent.response) await sent.response.body.text(); // release the connection
    await sleep(wait);
  }
}

/** `kc.makeApiClient(type)`, with the API server's requests to try again honoured. */
export function apiClient<T>(kc: KubeConfig, type: new (configuration: Configuration) => T): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster (check its current-context)");
  return new type(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi: wrapHttpLibrary({ send: sendWithRetries }),
      middleware: [setHeaderMiddleware("User-Agent", "synthetiq-tasks")],
    }),
  );
}
