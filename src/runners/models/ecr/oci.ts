// OCI image vocabulary (pure): media types, descriptors, digests, references, and what a manifest
// or index points at.
import { createHash } from "node:crypto";

export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

export const MANIFEST_ACCEPT = Object.values(MEDIA_TYPES).join(", ");

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  /** Set for an index (multi-arch): the manifests it lists. */
  manifests?: Descriptor[];
  /** Set for an image manifest: config and layers, the blobs to copy. */
  blobs?: Descriptor[];
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList;
}

/** Parses manifest bytes; `fallbackMediaType` is the Content-Type or descriptor's media type. */
export function parseManifest(bytes: Buffer, fallbackMediaType?: string): ParsedManifest {
  const json = JSON.parse(bytes.toString("utf8")) as {
    mediaType?: string;
    manifests?: Descriptor[];
    config?: Descriptor;
    layers?: Descriptor[];
  };
  const mediaType =
    json.mediaType ?? fallbackMediaType ?? (json.manifests ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest);
  if (isIndex(mediaType) || json.manifests) return { mediaType, manifests: json.manifests ?? [] };
  if (!json.config) throw new Error("manifest has no config descriptor");
  return { mediaType, blobs: [json.config, ...(json.layers ?? [])] };
}

export interface ImageReference {
  /** host[:port] */
  registry: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
}

/** Parses "host[:port]/repo/name[:tag|@sha256:...]" (the registry host is required). */
export function parseImageReference(text: string): ImageReference {
  const at = text.indexOf("@");
  let rest = at >= 0 ? text.slice(0, at) : text;
  let reference = at >= 0 ? text.slice(at + 1) : "latest";
  const slash = rest.indexOf("/");
  if (slash < 0)
    throw new Error(`${JSON.stringify(text)} has no registry host (expected host[:port]/repository[:tag])`);
  const registry = rest.slice(0, slash);
  rest = rest.slice(slash + 1);
  const colon = rest.lastIndexOf(":");
  if (at < 0 && colon >= 0) {
    reference = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(rest))
    throw new Error(`${JSON.stringify(rest)} is not a valid repository name`);
  if (at >= 0 && !isDigest(reference)) throw new Error(`${JSON.stringify(reference)} is not a sha256 digest`);
  return { registry, repository: rest, reference };
}
