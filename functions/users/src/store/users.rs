//! The `users` collection.

use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use streamia_shared::db::duplicate_key_index;
use streamia_shared::domain::Role;
use streamia_shared::fields::Patch;
use streamia_shared::i18n::Lang;

use crate::domain::{User, UserStatus};
use crate::error::UsersError;

const EMAIL_INDEX: &str = "email_unique";
const USERNAME_INDEX: &str = "username_unique";

/// Accounts, unique by email and by case-insensitive username.
#[derive(Clone)]
pub struct UserStore {
    users: Collection<User>,
}

/// The profile fields a user may change; `Absent` leaves a field alone.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    /// New username (and its lower-cased form).
    pub username: Option<(String, String)>,
    /// First name.
    pub first_name: Patch<String>,
    /// Last name.
    pub last_name: Patch<String>,
    /// Age.
    pub age: Patch<i32>,
    /// Avatar URL.
    pub avatar: Patch<String>,
    /// The language of the user's emails.
    pub language: Option<Lang>,
}

impl ProfileChanges {
    /// camelCase names of the fields this change touches.
    pub fn field_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if self.username.is_some() {
            names.push("username".to_owned());
        }
        for (name, present) in [
            ("firstName", self.first_name.is_present()),
            ("lastName", self.last_name.is_present()),
            ("age", self.age.is_present()),
            ("avatar", self.avatar.is_present()),
            ("language", self.language.is_some()),
        ] {
            if present {
                names.push(name.to_owned());
            }
        }
        names
    }
}

fn set_patch<T: Into<bson::Bson> + Clone>(set: &mut Document, key: &str, patch: &Patch<T>) {
    match patch {
        Patch::Absent => {}
        Patch::Null => {
            set.insert(key, bson::Bson::Null);
        }
        Patch::Value(v) => {
            set.insert(key, v.clone().into());
        }
    }
}

/// Maps a unique-index violation to the field that collided.
fn taken(err: mongodb::error::Error) -> UsersError {
    match duplicate_key_index(&err).as_deref() {
        Some(index) if index.contains("username") => UsersError::UsernameTaken,
        Some(_) => UsersError::EmailTaken,
        None => UsersError::Mongo(err),
    }
}

/// Unique by email and by lower-cased username; the names tell [`taken`] which one collided.
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let unique = |name: &str| {
        IndexOptions::builder()
            .unique(true)
            .name(name.to_owned())
            .build()
    };
    db.collection::<User>("users")
        .create_indexes([
            IndexModel::builder()
                .keys(doc! {"email": 1})
                .options(unique(EMAIL_INDEX))
                .build(),
            IndexModel::builder()
                .keys(doc! {"usernameLower": 1})
                .options(unique(USERNAME_INDEX))
                .build(),
        ])
        .await?;
    Ok(())
}

impl UserStore {
    /// The `users` collection of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            users: db.collection::<User>("users"),
        }
    }

    /// Inserts a new account, inside the caller's transaction; a taken email or username is
    /// reported as such, even when two registrations race.
    pub async fn insert(&self, session: &mut ClientSession, user: &User) -> Result<(), UsersError> {
        self.users
            .insert_one(user)
            .session(session)
            .await
            .map_err(taken)?;
        Ok(())
    }

    /// The account with this (normalised) email.
    pub async fn by_email(&self, email: &str) -> Result<Option<User>, UsersError> {
        Ok(self.users.find_one(doc! {"email": email}).await?)
    }

    /// The account with this id.
    pub async fn by_id(&self, id: ObjectId) -> Result<Option<User>, UsersError> {
        Ok(self.users.find_one(doc! {"_id": id}).await?)
    }

    /// The collection itself, for the operator's republishing (`ops::republish`), which the
    /// platform walks by `_id` (every item, any status) and resumes from the last id reached.
    pub fn collection(&self) -> &mongodb::Collection<User> {
        &self.users
    }

    /// Inside a transaction: the account as that transaction sees it, any status (`None` when
    /// unknown). The republishing reads it there, so the snapshot it stages is the one of the
    /// version the outbox numbers (a concurrent change conflicts and one of the two runs again).
    pub async fn read_in(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
    ) -> Result<Option<User>, UsersError> {
        Ok(self
            .users
            .find_one(doc! {"_id": id})
            .session(session)
            .await?)
    }

    /// Records a login on an account still as it was when its password was verified (the
    /// same hash, still active) and returns it as it is now, role included; `None` when a
    /// password change, reset or deletion got there first. A write, not a read: a credential
    /// change's transaction that has already written the account makes this wait for its
    /// outcome, and one that writes it later conflicts and runs again, so either way one of
    /// the two sees the other (see `sessions::start`).
    pub async fn record_login(
        &self,
        id: ObjectId,
        verified_hash: &str,
    ) -> Result<Option<User>, UsersError> {
        Ok(self
            .users
            .find_one_and_update(
                doc! {
                    "_id": id,
                    "passwordHash": verified_hash,
                    "status": UserStatus::Active.as_str(),
                },
                doc! {"$set": {"lastLoginAt": DateTime::now()}},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .await?)
    }

    /// Whether a username (any case) is taken.
    pub async fn username_taken(&self, username_lower: &str) -> Result<bool, UsersError> {
        Ok(self
            .users
            .find_one(doc! {"usernameLower": username_lower})
            .await?
            .is_some())
    }

    /// Applies profile changes inside the caller's transaction and returns the updated account.
    pub async fn update_profile(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        changes: &ProfileChanges,
    ) -> Result<Option<User>, UsersError> {
        let mut set = doc! {"updatedAt": DateTime::now()};
        if let Some((username, lower)) = &changes.username {
            set.insert("username", username);
            set.insert("usernameLower", lower);
        }
        set_patch(&mut set, "firstName", &changes.first_name);
        set_patch(&mut set, "lastName", &changes.last_name);
        set_patch(&mut set, "age", &changes.age);
        set_patch(&mut set, "avatar", &changes.avatar);
        if let Some(language) = changes.language {
            set.insert("language", language.as_str());
        }
        self.users
            .find_one_and_update(
                doc! {"_id": id, "status": UserStatus::Active.as_str()},
                doc! {"$set": set},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .session(session)
            .await
            .map_err(taken)
    }

    /// Inside the credential change's transaction: replaces the password hash of an active
    /// account; false when there is none (deleted or being deleted meanwhile).
    pub async fn set_password(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        hash: &str,
    ) -> Result<bool, UsersError> {
        let result = self
            .users
            .update_one(
                doc! {"_id": id, "status": UserStatus::Active.as_str()},
                doc! {"$set": {"passwordHash": hash, "updatedAt": DateTime::now()}},
            )
            .session(session)
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Inside the role change's transaction: gives the account `role` and returns it as it was
    /// before, or `None` when there is no such account. The write happens even when the role
    /// is already `role` (the caller then records and announces nothing), so two operators
    /// changing one account at once conflict and one runs again, seeing the other's result.
    pub async fn set_role(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        role: Role,
    ) -> Result<Option<User>, UsersError> {
        Ok(self
            .users
            .find_one_and_update(
                doc! {"_id": id},
                doc! {"$set": {"role": role.as_str(), "updatedAt": DateTime::now()}},
            )
            .return_document(mongodb::options::ReturnDocument::Before)
            .session(session)
            .await?)
    }

    /// Inside the deletion's transaction: marks an active account `deleting` (no more logins)
    /// under `saga_id` and returns it as marked, so the event it announces carries the state
    /// this transaction saw; `None` when it was not active (already deleting).
    pub async fn mark_deleting(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        saga_id: &str,
    ) -> Result<Option<User>, UsersError> {
        Ok(self
            .users
            .find_one_and_update(
                doc! {"_id": id, "status": UserStatus::Active.as_str()},
                doc! {"$set": {
                    "status": UserStatus::Deleting.as_str(),
                    "deletionSagaId": saga_id,
                    "updatedAt": DateTime::now(),
                }},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// Inside the saga's completing transaction: deletes for good the account that saga
    /// `saga_id` is deleting (its email and username are free again); false when it is not
    /// (anymore) being deleted by that saga.
    pub async fn remove_for_good(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        saga_id: &str,
    ) -> Result<bool, UsersError> {
        let deleted = self
            .users
            .delete_one(doc! {
                "_id": id, "status": UserStatus::Deleting.as_str(), "deletionSagaId": saga_id,
            })
            .session(session)
            .await?;
        Ok(deleted.deleted_count == 1)
    }

    /// Inside the saga's cancelling transaction: makes the account that saga `saga_id` was
    /// deleting active again and returns it as it now is; `None` when it is not (anymore)
    /// being deleted by that saga.
    pub async fn reactivate(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        saga_id: &str,
    ) -> Result<Option<User>, UsersError> {
        Ok(self
            .users
            .find_one_and_update(
                doc! {
                    "_id": id, "status": UserStatus::Deleting.as_str(),
                    "deletionSagaId": saga_id,
                },
                doc! {"$set": {
                    "status": UserStatus::Active.as_str(),
                    "deletionSagaId": null,
                    "updatedAt": DateTime::now(),
                }},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .session(session)
            .await?)
    }
}
