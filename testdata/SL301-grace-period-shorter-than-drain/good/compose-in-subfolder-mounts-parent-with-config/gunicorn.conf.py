graceful_timeout = 15
workers = 4
