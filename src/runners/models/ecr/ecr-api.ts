// The ECR control plane (@aws-sdk/client-ecr, imported lazily): ensure the repository exists with
// the requested scanning, tag-mutability and encryption settings, and get a registry auth token.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { PermanentError, RetryableError } from "../../sdk/task.ts";

export interface RepositorySettings {
  scanOnPush: boolean;
  tagImmutability: boolean;
  encryption: { type: "AES256" | "KMS"; kmsKey?: string | undefined };
}

export interface EcrSession {
  client: ECRClient;
  sdk: typeof import("@aws-sdk/client-ecr");
}

export async function openEcr(options: {
  region: string;
  endpoint?: string | undefined;
}): Promise<EcrSession> {
  const sdk = await import("@aws-sdk/client-ecr");
  return { sdk, client: new sdk.ECRClient({ region: options.region, endpoint: options.endpoint }) };
}

const AUTH_ERRORS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "AccessDeniedException",
  "ExpiredTokenException",
  "CredentialsProviderError",
]);

/** Maps an AWS SDK error: auth and validation are permanent; throttling and 5xx retryable. */
export function ecrError(what: string, error: unknown): Error {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  const message = `${what}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
  if (AUTH_ERRORS.has(e.name ?? ""))
    return new PermanentError(message, { type: "EcrAuthFailed", cause: error });
  if (e.name === "ThrottlingException" || status === 429 || status >= 500 || status === 0)
    return new RetryableError(message, { type: "EcrUnavailable", cause: error });
  return new PermanentError(message, { type: "EcrRejected", cause: error });
}

export async function ensureRepository(
  { client, sdk }: EcrSession,
  name: string,
  settings: RepositorySettings,
): Promise<{ repositoryUri: string; created: boolean }> {
  try {
    const found = await client.send(new sdk.DescribeRepositoriesCommand({ repositoryNames: [name] }));
    const repository = found.repositories?.[0];
    if (repository?.repositoryUri) {
      const mutability = settings.tagImmutability ? "IMMUTABLE" : "MUTABLE";
      if (repository.imageTagMutability !== mutability) {
        await client.send(
          new sdk.PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: mutability }),
        );
      }
      if ((repository.imageScanningConfiguration?.scanOnPush ?? false) !== settings.scanOnPush) {
        await client.send(
          new sdk.PutImageScanningConfigurationCommand({
            repositoryName: name,
            imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
          }),
        );
      }
      return { repositoryUri: repository.repositoryUri, created: false };
    }
  } catch (error) {
    if ((error as { name?: string }).name !== "RepositoryNotFoundException")
      throw ecrError(`DescribeRepositories ${name}`, error);
  }
  try {
    const created = await client.send(
      new sdk.CreateRepositoryCommand({
        repositoryName: name,
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
        imageTagMutability: settings.tagImmutability ? "IMMUTABLE" : "MUTABLE",
        encryptionConfiguration: {
          encryptionType: settings.encryption.type,
          kmsKey: settings.encryption.kmsKey,
        },
      }),
    );
    return { repositoryUri: created.repository?.repositoryUri ?? "", created: true };
  } catch (error) {
    // Another attempt created it in between: fine.
    if ((error as { name?: string }).name === "RepositoryAlreadyExistsException")
      return ensureRepository({ client, sdk }, name, settings);
    throw ecrError(`CreateRepository ${name}`, error);
  }
}

/** The registry's Authorization header value (never logged) and the endpoint ECR says to push to. */
export async function registryAuthorization({
  client,
  sdk,
}: EcrSession): Promise<{ authorization: string; proxyEndpoint: string }> {
  try {
    const response = await client.send(new sdk.GetAuthorizationTokenCommand({}));
    const data = response.authorizationData?.[0];
    if (!data?.authorizationToken || !data.proxyEndpoint)
      throw new PermanentError("GetAuthorizationToken returned no token", { type: "EcrAuthFailed" });
    return { authorization: `Basic ${data.authorizationToken}`, proxyEndpoint: data.proxyEndpoint };
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    throw ecrError("GetAuthorizationToken", error);
  }
}
