# The stop signal comes from a build argument: its default, SIGQUIT, is nginx's graceful one.
FROM nginx:1.27-alpine
ARG STOP_SIGNAL=SIGQUIT
COPY nginx.conf /etc/nginx/nginx.conf
STOPSIGNAL $STOP_SIGNAL
CMD ["nginx", "-g", "daemon off;"]
