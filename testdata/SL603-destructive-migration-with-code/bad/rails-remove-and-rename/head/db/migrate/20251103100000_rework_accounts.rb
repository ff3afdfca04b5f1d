class ReworkAccounts < ActiveRecord::Migration[7.1]
  def change
    # Old sign-up flow is gone.
    remove_column :accounts, :signup_token, :string
    rename_column :accounts, :fullname, :display_name
    change_column_null :accounts, :email, false
  end
end
