#!/usr/bin/env bash
# Pins every `FROM image:tag` of deploy/docker/Dockerfile to the digest that tag has now:
#   FROM rust:1-bookworm AS builder  ->  FROM rust:1-bookworm@sha256:<digest> AS builder
# A line already pinned is re-resolved from its tag, so rerunning takes the newer base image.
# Needs Docker with buildx and access to the registry; review and commit the diff.
set -euo pipefail
dockerfile="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/Dockerfile"
while read -r reference; do
    tag="${reference%@*}"
    # The digest of the multi-platform index, so the pin holds for every architecture.
    digest="$(docker buildx imagetools inspect "$tag" --format '{{json .Manifest.Digest}}' | tr -d '"')"
    [[ "$digest" == sha256:* ]] || { echo "no digest for $tag" >&2; exit 1; }
    echo "$tag -> $digest"
    sed -i -E "s#^FROM ${reference//./\\.}( |\$)#FROM ${tag}@${digest}\\1#" "$dockerfile"
done < <(sed -nE 's/^FROM ([^ ]+).*/\1/p' "$dockerfile")
