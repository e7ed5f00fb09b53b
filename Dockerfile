# k8s-lint in a minimal image: a static (musl) binary on `scratch`, nothing else.
#   docker build -t k8s-lint .
#   docker run --rm -v "$PWD:/repo" -w /repo k8s-lint .
FROM rust:1-alpine AS build
# gcc and make build jemalloc, the allocator of the binary.
RUN apk add --no-cache musl-dev gcc make git
WORKDIR /src
COPY . .
ARG K8S_LINT_COMMIT=""
ENV K8S_LINT_COMMIT=${K8S_LINT_COMMIT}
RUN cargo build --locked --profile dist -p k8s-lint \
 && cp target/dist/k8s-lint /k8s-lint

FROM scratch
COPY --from=build /k8s-lint /k8s-lint
COPY LICENSE /LICENSE
# Run as an unprivileged user; the mounted repository is only read.
USER 65534:65534
ENTRYPOINT ["/k8s-lint"]
