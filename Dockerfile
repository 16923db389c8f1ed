# syntax=docker/dockerfile:1
# The workbench command line in a container, for sweep jobs on clusters (docs/sweeps.md):
# Kubernetes Indexed Jobs run it directly, Slurm runs it through Apptainer.
#   docker build -t iommu-workbench:0.1.0 .
#   docker run --rm -v "$PWD/out:/results" iommu-workbench:0.1.0 sweep run dirty-cost-vs-guest-size --out /results --jobs 2
# Runtime dependencies only (no Electron, no UI build): the CLI runs the TypeScript sources
# through tsx, as `npm run cli` does.
FROM node:22-bookworm-slim AS build
WORKDIR /opt/iommu-workbench
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
COPY package.json package-lock.json ./
COPY scripts/install-electron.js scripts/
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin bin
COPY core core

FROM node:22-bookworm-slim
WORKDIR /opt/iommu-workbench
COPY --from=build /opt/iommu-workbench /opt/iommu-workbench
RUN ln -s /opt/iommu-workbench/bin/iommu-workbench.js /usr/local/bin/iommu-workbench
# uid 1000; Kubernetes manifests from `sweep emit k8s` set fsGroup 1000 so it can write /results.
USER node
ENTRYPOINT ["iommu-workbench"]
CMD ["--help"]
