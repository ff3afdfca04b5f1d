class Account < ApplicationRecord
  def label = fullname
end
