FROM debian:bookworm AS test
STOPSIGNAL SIGKILL
RUN make test

FROM nginx:1.27
STOPSIGNAL SIGQUIT
COPY --from=test /src/dist /usr/share/nginx/html
