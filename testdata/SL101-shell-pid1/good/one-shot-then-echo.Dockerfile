FROM alpine:3.20
CMD date; echo "backup done"
