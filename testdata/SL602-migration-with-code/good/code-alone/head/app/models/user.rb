class User < ApplicationRecord
  has_many :orders
  validates :nickname, length: { maximum: 40 }
end
