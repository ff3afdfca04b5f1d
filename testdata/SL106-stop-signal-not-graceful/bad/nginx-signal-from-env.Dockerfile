# ENV wins over an ARG of the same name: the signal is SIGTERM, a fast shutdown for nginx.
FROM nginx:1.27-alpine
ARG STOP_SIGNAL=SIGQUIT
ENV STOP_SIGNAL=SIGTERM
COPY nginx.conf /etc/nginx/nginx.conf
STOPSIGNAL ${STOP_SIGNAL}
CMD ["nginx", "-g", "daemon off;"]
