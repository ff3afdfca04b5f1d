FROM ruby:3.3-slim
WORKDIR /rails
COPY . .
RUN bundle install
CMD ["sh", "-c", "bundle exec rails db:prepare && bundle exec puma -C config/puma.rb"]
