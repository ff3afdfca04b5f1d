class AddProfiles < ActiveRecord::Migration[7.1]
  def up
    create_table :profiles do |t|
      t.references :user, null: false
      t.string :bio
    end
  end

  def down
    drop_table :profiles
  end
end
