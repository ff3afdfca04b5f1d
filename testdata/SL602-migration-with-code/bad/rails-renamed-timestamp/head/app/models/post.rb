class Post < ApplicationRecord
  scope :visible, -> { where(archived_at: nil) }
end
