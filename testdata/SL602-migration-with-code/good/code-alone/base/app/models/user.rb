class User < ApplicationRecord
  has_many :orders
end
