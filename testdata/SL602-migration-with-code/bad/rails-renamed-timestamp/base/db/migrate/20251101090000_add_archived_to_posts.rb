class AddArchivedToPosts < ActiveRecord::Migration[7.1]
  def change
    add_column :posts, :archived_at, :datetime
  end
end
