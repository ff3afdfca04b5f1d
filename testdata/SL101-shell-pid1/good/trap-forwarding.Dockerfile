FROM debian:bookworm-slim
COPY bin/ /usr/local/bin/
CMD ["sh", "-c", "trap 'kill -TERM $child' TERM INT; /usr/local/bin/api & child=$!; wait $child"]
