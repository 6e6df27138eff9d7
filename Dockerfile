# The bilayer devnet image: nothing but the statically linked binaries.
#
# Build it with `make docker`, which builds validator, sequencer, challenger,
# devnet and wallet statically (cgo + `-tags netgo,osusergo`, external static link)
# into bin/docker/ and uses that directory as the build context. FROM
# scratch needs no base image, so the build never pulls anything and works
# offline.
#
# The nodes run as root inside their containers: the shared volume that
# `devnet generate` writes is created root-owned, and a scratch image has
# no user database to switch to another user with.
FROM scratch
COPY validator sequencer challenger devnet wallet /bin/
ENV PATH=/bin
# Validator: JSON-RPC (HTTP and WebSocket), libp2p, Prometheus metrics.
# Sequencer: L2 JSON-RPC, Prometheus metrics. Challenger: read-only L2
# JSON-RPC, Prometheus metrics.
EXPOSE 8545 30303 6060 9545 7060 9546 7061
CMD ["/bin/validator", "--help"]
