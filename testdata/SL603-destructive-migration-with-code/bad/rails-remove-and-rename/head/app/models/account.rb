class Account < ApplicationRecord
  def label = display_name
end
