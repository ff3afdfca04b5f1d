FROM ruby:3.3-slim
WORKDIR /rails
COPY . .
RUN bundle install
CMD bundle exec rails db:migrate && exec bundle exec rails server -b 0.0.0.0
