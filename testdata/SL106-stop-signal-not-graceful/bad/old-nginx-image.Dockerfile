FROM nginx:1.17
COPY default.conf /etc/nginx/conf.d/default.conf
