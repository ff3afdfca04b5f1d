FROM ruby:3.3-slim
WORKDIR /rails
COPY . .
CMD ["/bin/sh", "-c", "bundle exec rails assets:precompile && exec bundle exec puma -C config/puma.rb"]
