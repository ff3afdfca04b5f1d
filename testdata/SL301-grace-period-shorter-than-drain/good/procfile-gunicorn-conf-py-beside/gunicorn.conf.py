graceful_timeout = 15
