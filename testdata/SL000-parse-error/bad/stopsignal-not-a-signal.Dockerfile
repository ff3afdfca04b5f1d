# Two signals on one line: Docker checks STOPSIGNAL when it builds the stage and stops
# with "invalid signal".
FROM nginx:1.27-alpine
COPY nginx.conf /etc/nginx/nginx.conf
STOPSIGNAL SIGQUIT SIGKILL
CMD ["nginx", "-g", "daemon off;"]
