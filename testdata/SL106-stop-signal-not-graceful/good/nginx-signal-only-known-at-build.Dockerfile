# The stop signal is passed in with --build-arg (no default here): only the build knows it,
# so nothing is claimed about it.
FROM nginx:1.27-alpine
ARG STOP_SIGNAL
COPY nginx.conf /etc/nginx/nginx.conf
STOPSIGNAL ${STOP_SIGNAL}
CMD ["nginx", "-g", "daemon off;"]
