// A shelf photo from the cloud's blob store: <img src> cannot send the bearer header, so the bytes are
// fetched with it and shown from a blob: URL, released when the image leaves the screen.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { authHeader } from "../api.js";

interface Props {
  org: string;
  imageKey: string;
  alt: string;
  /** Drawn over the image in its own pixel coordinates (e.g. where a code was read). */
  overlay?: (size: { width: number; height: number }) => ComponentChildren;
}

export function AuthImage({ org, imageKey, alt, overlay }: Props) {
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState<string>();
  const [size, setSize] = useState<{ width: number; height: number }>();
  useEffect(() => {
    const abort = new AbortController();
    let objectUrl: string | undefined;
    setUrl(undefined);
    setFailed(undefined);
    fetch(`/api/v1/orgs/${org}/images/${encodeURIComponent(imageKey)}`, {
      headers: authHeader(),
      signal: abort.signal,
    })
      .then(async (res) => {
        if (!res.ok)
          throw new Error(
            res.status === 404 ? "Photo not (yet) uploaded" : `Photo unavailable (${res.status})`,
          );
        objectUrl = URL.createObjectURL(await res.blob());
        setUrl(objectUrl);
      })
      .catch((err: Error) => {
        if (!abort.signal.aborted) setFailed(err.message);
      });
    return () => {
      abort.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [org, imageKey]);
  if (failed) return <div class="photo photo--empty">{failed}</div>;
  if (!url) return <div class="photo photo--loading" role="status" aria-label="Loading photo" />;
  return (
    <figure class="photo">
      <img
        src={url}
        alt={alt}
        onLoad={(e) => {
          const img = e.currentTarget;
          setSize({ width: img.naturalWidth, height: img.naturalHeight });
        }}
      />
      {overlay && size && (
        <svg
          class="photo__overlay"
          viewBox={`0 0 ${size.width} ${size.height}`}
          preserveAspectRatio="none"
          aria-hidden="true"
        >
          {overlay(size)}
        </svg>
      )}
    </figure>
  );
}
