class Profile < ApplicationRecord
  belongs_to :user
end
