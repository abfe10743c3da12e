# The image deploy/deployment.yaml runs (`authz-chain:latest`): the release binary on a
# distroless base, as a non-root user. Build from the repository root:
#   docker build -t authz-chain:latest .
# (Not built in CI: these machines have no container runtime.)
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
COPY config-samples config-samples
RUN cargo build --release --locked --bin authz-chain

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/authz-chain /usr/local/bin/authz-chain
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/authz-chain"]
