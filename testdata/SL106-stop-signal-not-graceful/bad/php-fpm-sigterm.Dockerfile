FROM php:8.3-fpm
COPY . /var/www/html
STOPSIGNAL SIGTERM
