# The reference camera as a container image: nothing but the statically linked vsslab binary and an
# empty state directory owned by the unprivileged user it runs as. No base image, so no shell, no
# package manager, and nothing listening but what the camera opens. Build context: this file beside
# `vsslab` (CGO_ENABLED=0) and an empty directory `state`; `make image` and the container target
# both prepare it.
FROM scratch
COPY --chown=65534:65534 state /state
COPY vsslab /vsslab
USER 65534:65534
ENTRYPOINT ["/vsslab", "camera", "serve", "--state", "/state"]
