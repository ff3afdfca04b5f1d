class Post < ApplicationRecord
  def visible?
    archived_at.nil?
  end
end
