"""The transparency log: hash chain and signatures, the RFC 6962 tree, C2SP
checkpoint notes, anchors, inclusion proofs and phoned-in short codes. Pure."""
