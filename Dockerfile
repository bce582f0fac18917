# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone in a minimal non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/baton ./cmd/baton
# The store's directory, owned by the image's non-root user (65532), so a
# fresh named volume mounted there starts writable.
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/baton /usr/local/bin/baton
COPY --from=build --chown=65532:65532 /out/data /data
COPY config.example.yaml /etc/baton/config.example.yaml
# The store lives on a volume; mount your config at /etc/baton/config.yaml
# (tokens can stay in the environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
# SLACK_APP_TOKEN are expanded by the config).
VOLUME ["/data"]
WORKDIR /data
ENV BATON_DB=/data/baton.db
EXPOSE 8080
USER nonroot:nonroot
# No shell or curl in the image: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/baton", "healthcheck", "-config", "/etc/baton/config.yaml"]
ENTRYPOINT ["/usr/local/bin/baton"]
CMD ["serve", "-config", "/etc/baton/config.yaml"]
